/**
 * The ports on Redis, through Lettuce: {@link stampede.redis.RedisStore} (entries, one string each),
 * {@link stampede.redis.RedisLocks} (leases with fencing tokens, and signals), {@link stampede.redis.RedisKeys} (how
 * keys become Redis names: one hash tag per key) and {@link stampede.redis.ValueCodec} (values to bytes and back,
 * rejecting what it did not write).
 */
package stampede.redis;
