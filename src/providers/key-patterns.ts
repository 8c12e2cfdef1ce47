// Credential shapes recognised without knowing any configured secret: the last line of defence for error text.
import { detect } from '../policy/pii/detect.js';

export const REDACTED = '[REDACTED]';

/**
 * Broad on purpose (an error message loses little when a key-like word goes): every pattern is a single
 * character-class run after a fixed prefix, so a match attempt never backtracks more than one run (linear time).
 */
const KEY_PATTERNS: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g, // OpenAI, Anthropic (sk-ant-), DeepSeek, OpenRouter, the gateway's own sk-gw-
  /\bAIza[0-9A-Za-z_-]{20,}/g, // Google API keys
  /\bgsk_[A-Za-z0-9]{10,}/g, // Groq
  /\bxai-[A-Za-z0-9]{20,}/g, // xAI
  /\bBearer[ \t]+[A-Za-z0-9._~+/-]{8,}=*/gi,
  /\bBasic[ \t]+[A-Za-z0-9+/]{8,}=*/gi,
];

/** An echoed credential header (`"x-api-key": "…"`, `api-key=…`): the name stays so the reader knows what went. */
const HEADER_ECHO = /\b(x-api-key|api-key|x-goog-api-key|api_key|apikey)(["']?[ \t]*[:=][ \t]*["']?)[^\s"',;&}]{8,}/gi;

/** Replaces credential-shaped substrings; secrets the PII detector recognises (GitHub, AWS, JWT, PEM …) go too. */
export function redactKeyPatterns(text: string): string {
  let out = text.replace(HEADER_ECHO, `$1$2${REDACTED}`);
  for (const re of KEY_PATTERNS) out = out.replace(re, REDACTED);
  const found = detect(out, ['SECRET']);
  if (found.length === 0) return out;
  const parts: string[] = [];
  let at = 0;
  for (const f of found) {
    parts.push(out.slice(at, f.start), REDACTED);
    at = f.end;
  }
  parts.push(out.slice(at));
  return parts.join('');
}
