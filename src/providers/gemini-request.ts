// OpenAI chat request → Gemini generateContent body (contents, systemInstruction, tools, generationConfig).
import { GatewayError } from '../errors.js';
import type { ChatMessage, ChatRequest, ContentPart } from '../openai/schemas.js';
import { toGeminiToolConfig, toGeminiTools } from './gemini-tools.js';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiRequest } from './gemini-types.js';

/**
 * Gemini 3 rejects a replayed function call without its thought signature. OpenAI clients that drop
 * our `extra_content` cannot send it back, so we use the placeholder Google documents for histories
 * that have no real signature.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

const MIME_BY_EXT: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

function imagePart(url: string, param: string): GeminiPart {
  if (url.startsWith('data:')) {
    const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
    if (!m) throw new GatewayError('invalid_request', 'Image data URLs must look like data:<mime>;base64,<data>.', { param });
    return { inlineData: { mimeType: m[1]!, data: m[2]! } };
  }
  if (/^https?:\/\//i.test(url)) {
    let path = '';
    try {
      path = new URL(url).pathname;
    } catch {
      throw new GatewayError('invalid_request', 'The image URL is not a valid URL.', { param });
    }
    const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
    return { fileData: { fileUri: url, mimeType: MIME_BY_EXT[ext] ?? 'image/jpeg' } };
  }
  throw new GatewayError('invalid_request', 'Image URLs must be data: or http(s): URLs.', { param });
}

function contentParts(content: string | ContentPart[] | null | undefined, param: string): GeminiPart[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  return content.map((p, i): GeminiPart => {
    if (p.type === 'text' && typeof p.text === 'string') return { text: p.text };
    const image = p.image_url as { url?: unknown } | undefined;
    if (p.type === 'image_url' && typeof image?.url === 'string') return imagePart(image.url, `${param}.${i}`);
    throw new GatewayError('unsupported', `Content parts of type "${p.type}" are not supported by Gemini providers.`, {
      param: `${param}.${i}`,
    });
  });
}

function textOf(content: string | ContentPart[]): string {
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}

function parseArgs(args: string, param: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args || '{}');
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new GatewayError('invalid_request', 'Tool call arguments must be a JSON object.', { param });
}

function signatureOf(toolCall: unknown): string | undefined {
  const sig = (toolCall as { extra_content?: { google?: { thought_signature?: unknown } } }).extra_content?.google?.thought_signature;
  return typeof sig === 'string' ? sig : undefined;
}

function assistantParts(m: Extract<ChatMessage, { role: 'assistant' }>, i: number): GeminiPart[] {
  const parts = contentParts(m.content, `messages.${i}.content`);
  (m.tool_calls ?? []).forEach((tc, j) => {
    const part: GeminiPart = {
      functionCall: { name: tc.function.name, args: parseArgs(tc.function.arguments, `messages.${i}.tool_calls.${j}.function.arguments`) },
    };
    // Parallel calls carry one signature, on the first call; every step needs one.
    const sig = signatureOf(tc) ?? (j === 0 ? SKIP_SIGNATURE : undefined);
    if (sig) part.thoughtSignature = sig;
    parts.push(part);
  });
  return parts;
}

function toolResponsePart(m: Extract<ChatMessage, { role: 'tool' }>, i: number, names: Map<string, string>): GeminiPart {
  const name = names.get(m.tool_call_id);
  if (!name) {
    throw new GatewayError('invalid_request', `No earlier assistant tool call has id "${m.tool_call_id}".`, {
      param: `messages.${i}.tool_call_id`,
    });
  }
  const text = textOf(m.content);
  let response: Record<string, unknown> = { content: text };
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) response = v as Record<string, unknown>;
  } catch {
    // plain text result
  }
  return { functionResponse: { name, response } };
}

/** Translates the message list; consecutive same-role turns are merged because Gemini requires alternation. */
export function toGeminiContents(messages: ChatMessage[]): Pick<GeminiRequest, 'contents' | 'systemInstruction'> {
  const system: Array<{ text: string }> = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: GeminiContent['role'], parts: GeminiPart[]) => {
    if (!parts.length) return;
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  messages.forEach((m, i) => {
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push({ text: textOf(m.content) });
        break;
      case 'user':
        push('user', contentParts(m.content, `messages.${i}.content`));
        break;
      case 'assistant':
        for (const tc of m.tool_calls ?? []) toolNames.set(tc.id, tc.function.name);
        push('model', assistantParts(m, i));
        break;
      case 'tool':
        push('user', [toolResponsePart(m, i, toolNames)]);
        break;
    }
  });
  return system.length ? { contents, systemInstruction: { parts: system } } : { contents };
}

export function toGenerationConfig(req: ChatRequest): GeminiGenerationConfig | undefined {
  const g: GeminiGenerationConfig = {};
  if (req.temperature != null) g.temperature = req.temperature;
  if (req.top_p != null) g.topP = req.top_p;
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (max != null) g.maxOutputTokens = max;
  if (req.stop != null) g.stopSequences = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (req.n != null) g.candidateCount = req.n;
  if (req.seed != null) g.seed = req.seed;
  if (req.presence_penalty != null) g.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null) g.frequencyPenalty = req.frequency_penalty;
  const rf = req.response_format;
  if (rf?.type === 'json_object') g.responseMimeType = 'application/json';
  if (rf?.type === 'json_schema') {
    g.responseMimeType = 'application/json';
    const schema = (rf.json_schema as { schema?: Record<string, unknown> }).schema;
    if (schema) g.responseJsonSchema = schema;
  }
  return Object.keys(g).length ? g : undefined;
}

export function toGeminiRequest(req: ChatRequest): GeminiRequest {
  const body: GeminiRequest = toGeminiContents(req.messages);
  const tools = toGeminiTools(req.tools);
  if (tools) body.tools = tools;
  const toolConfig = toGeminiToolConfig(req.tool_choice);
  if (toolConfig) body.toolConfig = toolConfig;
  const generationConfig = toGenerationConfig(req);
  if (generationConfig) body.generationConfig = generationConfig;
  return body;
}
