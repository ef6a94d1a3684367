// A tenant's webhook signing secrets: current first, at most one previous kept during rotation so
// receivers can switch over without dropping deliveries. Edge-clean.
import type { WebhookSecretStore } from './ports.js';
import { generateWebhookSecret, InvalidWebhookSecretError, isWebhookSecret } from './webhook-secret-format.js';

/**
 * Returns the tenant's current secret, creating a random one when it has none. With `fixedSecret`
 * (`DEV_WEBHOOK_SECRET` for the dev tenant) that secret becomes the current one, alone.
 */
export async function ensureWebhookSecret(table: WebhookSecretStore, tenant: string, fixedSecret?: string): Promise<string> {
  if (fixedSecret !== undefined) {
    if (!isWebhookSecret(fixedSecret)) throw new InvalidWebhookSecretError('a webhook secret is whsec_ followed by at least 16 bytes of base64');
    const current = await table.getWebhookSecrets(tenant);
    if (current.length !== 1 || current[0] !== fixedSecret) await table.putWebhookSecrets(tenant, [fixedSecret]);
    return fixedSecret;
  }
  const [current] = await table.getWebhookSecrets(tenant);
  if (current !== undefined) return current;
  const secret = generateWebhookSecret();
  if (await table.createWebhookSecrets(tenant, [secret])) return secret;
  // Someone else created the first secret meanwhile: theirs is the one.
  const [winner] = await table.getWebhookSecrets(tenant);
  if (winner === undefined) throw new Error(`webhook secret of ${tenant} vanished while being created`);
  return winner;
}

/** The secrets to sign with, creating the first one if needed. */
export async function signingSecrets(table: WebhookSecretStore, tenant: string): Promise<string[]> {
  const secrets = await table.getWebhookSecrets(tenant);
  return secrets.length > 0 ? secrets : [await ensureWebhookSecret(table, tenant)];
}

/** New current secret; the old current one stays valid (signed alongside) until the next rotation. */
export async function rotateWebhookSecret(table: WebhookSecretStore, tenant: string): Promise<{ current: string; previous: string | null }> {
  const [previous] = await table.getWebhookSecrets(tenant);
  const current = generateWebhookSecret();
  await table.putWebhookSecrets(tenant, previous === undefined ? [current] : [current, previous]);
  return { current, previous: previous ?? null };
}
