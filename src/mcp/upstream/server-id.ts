// The one rule for MCP server ids, shared by the config schemas of servers, virtual servers and the injection scan's allow list.
import { z } from 'zod';

/** Server ids appear in tool names (`<id>__<tool>`) and URI prefixes (`<id>+<uri>`), so they stay scheme-safe. */
export const mcpServerIdSchema = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,39}$/, 'must start with a letter and hold only letters, digits and "-" (at most 40)');
