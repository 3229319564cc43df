package stampede.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The value may be null: a lookup that found nothing ({@link CacheStore#get}), the entry a
 * caller has not seen ({@code seen} of {@link Fill#fill}), a setting left at its default. A type without it is never
 * null. The build checks this with NullAway (Error Prone) on the main code of every module, in every package under
 * {@code stampede}.
 *
 * <p>Why not JSpecify's {@code org.jspecify.annotations.Nullable}: this package has no dependencies, so that a strategy
 * and the files its javadoc lists compile when copied into a project with nothing else on the class path. NullAway
 * takes any annotation whose simple name is {@code Nullable}, so this one-file annotation is checked the same way; a
 * project that uses JSpecify can replace the import.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE_USE, ElementType.METHOD, ElementType.PARAMETER, ElementType.FIELD})
public @interface Nullable {
}
