// Removes provider credentials from text that may reach a client or a log.

const KEY_PATTERNS = [
  /\bsk-[A-Za-z0-9_-]{6,}/g, // OpenAI, Anthropic (sk-ant-), DeepSeek, OpenRouter
  /\bAIza[0-9A-Za-z_-]{20,}/g, // Google API keys
  /\bgsk_[A-Za-z0-9]{10,}/g, // Groq
  /\bBearer\s+[A-Za-z0-9._~+/-]{8,}=*/g,
];

export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[REDACTED]');
  for (const re of KEY_PATTERNS) out = out.replace(re, '[REDACTED]');
  return out;
}
