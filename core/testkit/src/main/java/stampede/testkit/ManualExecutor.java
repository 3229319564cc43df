package stampede.testkit;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/** An {@link Executor} that queues tasks until the test runs them: background work becomes deterministic. */
public final class ManualExecutor implements Executor {
  private final Queue<Runnable> tasks = new ArrayDeque<>();

  @Override
  public synchronized void execute(Runnable task) {
    tasks.add(task);
  }

  public synchronized int pending() {
    return tasks.size();
  }

  /** Runs queued tasks (and tasks they queue) until none is left; returns how many ran. */
  public int runAll() {
    int ran = 0;
    Runnable next;
    while ((next = poll()) != null) {
      next.run();
      ran++;
    }
    return ran;
  }

  private synchronized Runnable poll() {
    return tasks.poll();
  }
}
