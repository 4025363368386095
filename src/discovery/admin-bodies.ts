// The bodies of the admin routes (admin-routes.ts), checked against the config's own schemas.
// Loaded on the first admin request that has a body, not with the node: zod is a sizeable part
// of a node's memory, and a running node otherwise never needs it (issue 12).
import { z } from 'zod';
import { ID_PATTERN, redisNodeSchema, shardSettingsSchema } from '../config/schema.js';

const switchoverBody = z.object({ to: z.string().optional(), dryRun: z.boolean().optional() }).strict();
const failoverBody = z.object({ to: z.string(), allowDataLoss: z.boolean().optional() }).strict();
const newShardBody = z
  .object({
    name: z.string().regex(ID_PATTERN),
    nodes: z.array(redisNodeSchema).min(1),
    initialMaster: z.string().nullable().optional(),
    settings: shardSettingsSchema.partial().optional(),
  })
  .strict();
const patchShardBody = z
  .object({
    nodes: z.array(redisNodeSchema).min(1).optional(),
    settings: shardSettingsSchema.partial().optional(),
  })
  .strict();
const newMemberBody = z.object({ id: z.string().regex(ID_PATTERN), raft: z.string().min(3) }).strict();

/** The body as the route wants it, or every mistake in one line. */
function strictBody<T>(body: unknown, schema: z.ZodType<T>): T | string {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  return r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

export const adminBodies = {
  switchover: (body: unknown) => strictBody(body, switchoverBody),
  failover: (body: unknown) => strictBody(body, failoverBody),
  newShard: (body: unknown) => strictBody(body, newShardBody),
  patchShard: (body: unknown) => strictBody(body, patchShardBody),
  newMember: (body: unknown) => strictBody(body, newMemberBody),
};
