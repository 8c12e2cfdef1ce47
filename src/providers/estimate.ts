// A cheap token estimate (about 4 characters a token) for when an upstream reports no usage.
import type { ChatRequest } from '../openai/schemas.js';

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function estimatePromptTokens(req: ChatRequest): number {
  let chars = 0;
  for (const m of req.messages) {
    const content = m.content;
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) for (const p of content) if (typeof p.text === 'string') chars += p.text.length;
    chars += 4 * 4; // role and framing tokens per message
  }
  return Math.ceil(chars / 4);
}
