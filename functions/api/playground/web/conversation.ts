// The conversation the page keeps. The API is stateless: every turn sends the whole conversation, earlier images
// included (the assistant's as data: URIs of their bytes, so an expired presigned URL never breaks a follow-up).
// Only turns that succeeded belong to it; a failed or canceled turn stays on screen but is never sent again.

export type TurnPart =
  | { kind: 'text'; text: string }
  /** ref: what the API gets (data: URI, upload:upl_…, or a URL); display: what the <img> shows (blob:/data:). */
  | { kind: 'image'; ref: string; display: string };

export interface Turn {
  role: 'user' | 'assistant';
  parts: TurnPart[];
}

export type WirePart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface WireMessage {
  role: 'user' | 'assistant';
  content: WirePart[];
}

export const toWire = (turn: Turn): WireMessage => ({
  role: turn.role,
  content: turn.parts.map((p): WirePart => (p.kind === 'text' ? { type: 'text', text: p.text } : { type: 'image_url', image_url: { url: p.ref } })),
});

export const imageCount = (turns: readonly Turn[]): number => turns.reduce((n, t) => n + t.parts.filter((p) => p.kind === 'image').length, 0);

/** The request body for the next turn: the kept conversation plus the new user turn. */
export function jobRequest(options: { model: string; history: readonly Turn[]; next: Turn; params: Record<string, number>; images?: number }) {
  return {
    model: options.model,
    messages: [...options.history, options.next].map(toWire),
    params: options.params,
    ...(options.images === undefined ? {} : { output: { n: options.images } }),
  };
}
