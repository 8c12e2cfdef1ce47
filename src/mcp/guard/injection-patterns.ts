// The model_instruction rule: phrases that address the model instead of describing a tool, tuned against real servers.
import { SEVERITY_RANK, type Hit, type Profile, type Severity } from './injection-types.js';
import { excerptAt } from './injection-unicode.js';

interface Pattern {
  signal: string;
  re: RegExp;
  /** A function may return null: the match is ordinary on a closer look (an example.com address). */
  severity: Severity | ((m: RegExpExecArray) => Severity | null);
  /** Profiles where the phrase is ordinary data (a chat transcript or an XML file in a tool result). */
  skip?: readonly Profile[];
}

// Every quantifier is bounded and every alternation anchored on a word, so a hostile 100 KB string stays linear.
const PATTERNS: readonly Pattern[] = [
  {
    signal: 'override',
    re: /\b(?:ignore|disregard|forget|override|bypass|overrule)\s+(?:(?:all|any|the|your|these|those|of|every|my)\s+){0,3}(?:previous|prior|earlier|above|preceding|foregoing|original|initial|system|safety|developer|former)\s+(?:(?:and|or|the|your|other|all)\s+){0,2}(?:instructions?|prompts?|rules|directions|directives|guidelines|guardrails|messages|context|constraints|policies|commands|programming)\b/i,
    severity: 'high',
  },
  {
    signal: 'override',
    re: /\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:of\s+)?your\s+(?:instructions|rules|guidelines|programming|training|directives|system\s+prompt)\b|\b(?:ignore|disregard|forget)\s+(?:everything|anything|all)\s+(?:above|before|previously|earlier|you\s+(?:were|have\s+been)\s+told)\b/i,
    severity: 'high',
  },
  // Any chat-template token in a definition; in results only role-opening ones (LLM docs mention `<|end|>`).
  { signal: 'chat_template', re: /<\|[a-z_]{2,24}\|>|\[\/?INST\]|<<\/?SYS>>/i, severity: 'high', skip: ['result'] },
  { signal: 'chat_template', re: /<\|(?:im_start|start_header_id)\|>\s*(?:system|assistant)\b|\[INST\]\s*<<SYS>>/i, severity: 'high' },
  {
    signal: 'tag',
    re: /<\s*\/?\s*(?:important|system[_ -]?(?:prompt|message|instructions?|reminder|note|override)|(?:ai|assistant|model|agent|llm)[_ -]?(?:instructions?|note|directive)s?)\s*>|\[\s*(?:system(?:\s+(?:message|prompt|note|override))?|admin\s+override)\s*\]/i,
    severity: 'high',
  },
  {
    // Weaker tag names: XML files and HTML pages in tool results use them for data.
    signal: 'tag',
    re: /<\s*\/?\s*(?:system|instructions?|secret|hidden|admin|critical|override|priority|urgent|mandatory)\s*>/i,
    severity: 'high',
    skip: ['result'],
  },
  {
    signal: 'secrecy',
    re: /\b(?:do\s+not|don'?t|never|must\s+not|should\s+not|shouldn'?t|mustn'?t|avoid)\s+(?:ever\s+)?(?:tell|inform|mention|reveal|notify|alert|disclose|let|warn|admit|acknowledge)(?:ing)?\s+(?:(?:this|that|it|anything|these|any|of|about|them)\s+){0,3}(?:to\s+)?(?:the\s+|your\s+)?(?:user|human|operator|customer|requester)s?\b/i,
    severity: 'high',
  },
  {
    signal: 'secrecy',
    re: /\b(?:do\s+not|don'?t|never)\s+(?:mention|reveal|disclose|acknowledge|discuss|explain|reference)\s+(?:(?:that|this|these|the|any|of)\s+){0,2}(?:instructions?|notes?|sidenotes?|directives?|tool\s+calls?)\b/i,
    severity: 'high',
  },
  {
    signal: 'secrecy',
    re: /\b(?:hide|conceal|keep|withhold)\s+(?:(?:this|it|these|that|them|the\s+\w{1,30}|any\s+\w{1,30})\s+){0,2}(?:hidden\s+|secret\s+)?from\s+(?:the\s+)?(?:user|human)s?\b|\bkeep\s+(?:these\s+instructions|this\s+(?:note|message|instruction)s?)\s+(?:secret|hidden|confidential|private)\b/i,
    severity: 'high',
  },
  {
    signal: 'secrecy',
    re: /\b(?:the\s+)?(?:user|human)\s+(?:must|should|needs?)\s+(?:to\s+)?(?:not|never)\s+(?:know|see|notice|learn|find\s+out|be\s+(?:told|informed|aware))\b|\b(?:user|human)\s+(?:does\s+not|doesn'?t)\s+need\s+to\s+know\b/i,
    severity: 'high',
  },
  {
    signal: 'secrecy',
    re: /\bwithout\s+(?:(?:telling|informing|notifying|alerting)\s+(?:the\s+)?(?:user|human)|(?:the\s+)?(?:user|human)(?:'s)?\s+(?:knowledge|knowing|noticing|awareness|being\s+(?:told|informed|notified|aware)))/i,
    severity: 'medium',
  },
  {
    signal: 'secrecy',
    re: /\byou\s+(?:must|should|need\s+to|have\s+to)\b[^.\n]{0,120}?\b(?:secretly|covertly|without\s+(?:telling|informing|notifying)|(?:not|never)\s+(?:tell|mention|inform|reveal))\b/i,
    severity: 'high',
  },
  {
    signal: 'covert_action',
    re: /\b(?:secretly|covertly|surreptitiously|stealthily|discreetly)\s+(?:\w{1,20}\s+){0,2}?(?:send|forward|copy|upload|post|transmit|e-?mail|exfiltrate|bcc|cc|leak|share|include|append|attach|pass|read|collect|call|invoke)\b|\b(?:quietly|silently|invisibly)\s+(?:\w{1,20}\s+){0,2}?(?:send|forward|upload|post|transmit|e-?mail|exfiltrate|bcc|leak|share)\b/i,
    severity: 'high',
  },
  {
    signal: 'address_model',
    re: /\b(?:note|message|attention|reminder|directive|memo|instructions?)\s+(?:to|for)\s+(?:the\s+|all\s+|any\s+)?(?:ai|assistants?|models?|llms?|agents?|language\s+models?|chatbots?|claude|chatgpt|gpt|copilot|cursor)\s*[:,-]|\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|llm|large\s+language\s+model|language\s+model|ai\s+assistant|assistant|chatbot|ai\s+agent|claude|gpt|chatgpt)\b|\b(?:dear|hey|attention|hello)\s+(?:ai|assistant|llm|model|claude|chatgpt|agent)\s*[:,!]/i,
    severity: 'high',
  },
  {
    signal: 'mode_switch',
    re: /\bfrom\s+now\s+on\s*,?\s+(?:you|your|ignore|disregard|forget)\b|\bnew\s+(?:system\s+)?(?:instructions|rules|directives|persona|role|system\s+prompt)\s*:|\b(?:updated|real|actual|true|hidden|secret|revised)\s+(?:system\s+)?instructions\s*:/i,
    severity: 'high',
  },
  {
    signal: 'mode_switch',
    re: /\bfrom\s+now\s+on\s*,?\s+(?:always|never|respond|reply|answer|act|only)\b|\byou\s+are\s+now\s+(?:a|an|in|the|my|acting|operating|free|unrestricted|jailbroken|dan|no\s+longer)\b|\bpretend\s+(?:to\s+be|that\s+you|you\s+are)\b/i,
    severity: 'medium',
  },
  {
    signal: 'prompt_leak',
    re: /\b(?:reveal|print|output|repeat|leak|share|send|dump|disclose|include|copy|append|paste|return|pass|provide|forward|upload|tell\s+me)\s+(?:\w{1,20}\s+){0,3}?(?:(?:your|the\s+(?:current|full|entire|original|hidden))\s+system\s+(?:prompt|message|instructions)|(?:your|the\s+(?:model|assistant|ai)'?s?)\s+(?:instructions|hidden\s+prompt|guidelines|context\s+window))\b/i,
    severity: 'high',
  },
  {
    // Summarisers legitimately take a whole transcript, so this only marks the definition for review.
    signal: 'history_leak',
    re: /\b(?:pass|send|include|append|copy|attach|provide|put|add|forward|upload)\s+(?:\w{1,20}\s+){0,3}?(?:(?:your|the\s+(?:full|entire|whole|complete))\s+(?:conversation|chat)\s+(?:history|log|transcript)|all\s+(?:previous|prior)\s+messages)\b/i,
    severity: 'low',
  },
  {
    signal: 'pre_call',
    re: /\bbefore\s+(?:using|calling|invoking|running|executing|you\s+(?:use|call|invoke|run))\s+(?:this|the|any|these|other)\s+(?:\w{1,20}\s+)?(?:tools?|functions?|commands?|servers?)\b[^.\n]{0,80}?\b(?<verb>read|cat|open|load|fetch|access|retrieve|call|invoke|run|use|execute|send|upload|pass|include|check|get)\b/i,
    // Reading something first is how the Invariant-style attack starts; "call login first" is an ordinary workflow.
    severity: (m) => (/^(?:read|cat|open|load|fetch|access|retrieve|send|upload|pass|include)$/i.test(m.groups?.verb ?? '') ? 'medium' : 'low'),
  },
  {
    signal: 'rug_pull',
    re: /\b(?:previous|prior|earlier|old|original|above|former)\s+(?:tool\s+)?(?:descriptions?|instructions?|rules|guidelines)\s+(?:is|are|was|were|has|have)\s+(?:been\s+|now\s+)?(?:obsolete|outdated|deprecated|superseded|replaced|revoked|invalid|void|cancell?ed|no\s+longer\s+(?:valid|applies|apply|relevant))\b/i,
    severity: 'high',
  },
  {
    signal: 'rug_pull',
    re: /\b(?:this|the)\s+(?:tool|server)\s+(?:description\s+)?has\s+(?:been\s+)?(?:updated|changed)\b[^.\n]{0,60}?\b(?:follow|obey|new\s+instructions|ignore)\b/i,
    severity: 'medium',
  },
  {
    // Upper-case speaker labels are prompt markup; lower-case "system:" is usually a YAML key in an example.
    signal: 'role_marker',
    re: /(?:^|\n)[ \t]*#{1,6}[ \t]*(?:system|assistant|user|human)[ \t]*:|(?:^|\n)[ \t]*(?:SYSTEM|ASSISTANT)[ \t]*:|\n[ \t]*\n[ \t]*(?:Human|Assistant)[ \t]*:/,
    severity: 'medium',
    skip: ['result'],
  },
  {
    signal: 'redirect',
    re: /\b(?:bcc|cc|forward|redirect|also\s+(?:send|e-?mail|copy)|always\s+send|copy)\b[^.\n]{0,40}?\b[a-z0-9._%+-]{1,64}@(?<domain>[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8})\b/i,
    severity: (m) => (/(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)$/i.test(m.groups?.domain ?? '') ? null : 'medium'),
  },
];


/** The strongest instruction-like phrase in folded text; null when the text only describes. */
export function modelInstruction(folded: string, profile: Profile): Hit | null {
  let best: Hit | null = null;
  for (const p of PATTERNS) {
    if (p.skip?.includes(profile)) continue;
    const m = p.re.exec(folded);
    if (!m) continue;
    const severity = typeof p.severity === 'function' ? p.severity(m) : p.severity;
    if (severity === null) continue;
    if (best && SEVERITY_RANK[severity] <= SEVERITY_RANK[best.severity]) continue;
    const lead = m[0].search(/\S/);
    best = { rule: 'model_instruction', signal: p.signal, severity, excerpt: excerptAt(folded, m.index + lead, m[0].length - lead) };
    if (severity === 'high') break;
  }
  return best;
}
