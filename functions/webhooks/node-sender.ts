// The webhook sender for Node (Lambda and `npm start`): real DNS, and connections pinned to the checked address.
import { createSsrfGuard } from '../../shared/ssrf-guard.js';
import { dnsResolver, nodeConnector } from '../../shared/ssrf-node.js';
import { createWebhookSender, type WebhookSender } from './send-webhook.js';

export interface NodeWebhookSenderOptions {
  /** Local configuration only: lets webhooks reach loopback receivers (http allowed to them). */
  allowLoopbackWebhooks: boolean;
  timeoutMs?: number;
}

export function createNodeWebhookSender(options: NodeWebhookSenderOptions): WebhookSender {
  const guard = createSsrfGuard({ resolve: dnsResolver, allowLoopback: options.allowLoopbackWebhooks });
  return createWebhookSender({ guard, connect: nodeConnector, timeoutMs: options.timeoutMs });
}
