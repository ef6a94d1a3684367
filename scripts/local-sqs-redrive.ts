// Receive counting and DLQ redrive as AWS does them, for the local SQS front (local-sqs.ts).
// local-aws-sqs raises ApproximateReceiveCount on every ChangeMessageVisibility (AWS does not), and redrives
// on that count, so a job whose heartbeat extended its message a few times would be dead-lettered the first
// time its worker died. The front therefore keeps the real maxReceiveCount here, gives local-aws-sqs a
// ceiling it never reaches, subtracts visibility changes from the count, and moves messages to the DLQ itself.

/** What local-aws-sqs is told, so its own redrive never fires (its allowed maximum). */
export const INNER_MAX_RECEIVE_COUNT = 1000;
/** Messages whose visibility changes are remembered (far more than are ever in flight at once locally). */
const MAX_TRACKED = 10_000;

export interface RedriveDecision {
  /** ApproximateReceiveCount as AWS would report it. */
  receiveCount: number;
  /** Name of the DLQ to move the message to instead of delivering it; null to deliver. */
  deadLetterQueue: string | null;
}

export interface RedriveBook {
  /** Records a RedrivePolicy passing through CreateQueue/SetQueueAttributes; returns the attributes to forward. */
  policyIn(queue: string, attributes: Record<string, unknown>): Record<string, unknown>;
  /** Puts the recorded maxReceiveCount back into GetQueueAttributes output. */
  policyOut(queue: string, attributes: Record<string, unknown>): Record<string, unknown>;
  visibilityChanged(receiptHandle: string): void;
  decide(queue: string, messageId: string, innerReceiveCount: number): RedriveDecision;
}

/** local-aws-sqs receipt handles are base64 of a random prefix followed by JSON that names the message. */
export function messageIdOf(receiptHandle: string): string | null {
  try {
    const text = Buffer.from(receiptHandle, 'base64').toString('utf8');
    const json: unknown = JSON.parse(text.slice(text.indexOf('{')));
    return typeof json === 'object' && json !== null && 'MessageId' in json && typeof json.MessageId === 'string' ? json.MessageId : null;
  } catch {
    return null;
  }
}

function parsePolicy(value: unknown): { deadLetterTargetArn: string; maxReceiveCount: number } | null {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const policy: unknown = JSON.parse(value);
    if (typeof policy !== 'object' || policy === null || !('deadLetterTargetArn' in policy) || !('maxReceiveCount' in policy)) return null;
    const arn = policy.deadLetterTargetArn;
    const max = Number(policy.maxReceiveCount);
    return typeof arn === 'string' && Number.isInteger(max) ? { deadLetterTargetArn: arn, maxReceiveCount: max } : null;
  } catch {
    return null;
  }
}

export function createRedriveBook(): RedriveBook {
  const policies = new Map<string, { deadLetterTargetArn: string; maxReceiveCount: number }>();
  const visibilityChanges = new Map<string, number>();

  return {
    policyIn(queue, attributes) {
      if (!('RedrivePolicy' in attributes)) return attributes;
      const policy = parsePolicy(attributes.RedrivePolicy);
      if (policy === null) {
        policies.delete(queue);
        return attributes;
      }
      policies.set(queue, policy);
      return { ...attributes, RedrivePolicy: JSON.stringify({ ...policy, maxReceiveCount: INNER_MAX_RECEIVE_COUNT }) };
    },

    policyOut(queue, attributes) {
      const policy = policies.get(queue);
      if (policy === undefined || typeof attributes.RedrivePolicy !== 'string') return attributes;
      return { ...attributes, RedrivePolicy: JSON.stringify(policy) };
    },

    visibilityChanged(receiptHandle) {
      const id = messageIdOf(receiptHandle);
      if (id === null) return;
      const count = (visibilityChanges.get(id) ?? 0) + 1;
      // Re-inserted so the map stays in last-touched order; deletes are not seen here, so the oldest go.
      visibilityChanges.delete(id);
      visibilityChanges.set(id, count);
      for (const oldest of visibilityChanges.keys()) {
        if (visibilityChanges.size <= MAX_TRACKED) break;
        visibilityChanges.delete(oldest);
      }
    },

    decide(queue, messageId, innerReceiveCount) {
      const receiveCount = Math.max(1, innerReceiveCount - (visibilityChanges.get(messageId) ?? 0));
      const policy = policies.get(queue);
      if (policy === undefined || receiveCount <= policy.maxReceiveCount) return { receiveCount, deadLetterQueue: null };
      visibilityChanges.delete(messageId);
      return { receiveCount, deadLetterQueue: policy.deadLetterTargetArn.slice(policy.deadLetterTargetArn.lastIndexOf(':') + 1) };
    },
  };
}
