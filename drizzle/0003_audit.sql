CREATE TABLE "agent_sessions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key_id" text DEFAULT '' NOT NULL,
	"session_id" text NOT NULL,
	"team_id" text,
	"client_name" text,
	"client_version" text,
	"user_agent" text,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"denials" integer DEFAULT 0 NOT NULL,
	"redactions" integer DEFAULT 0 NOT NULL,
	"last_seq" integer DEFAULT 0 NOT NULL,
	"last_hash" text DEFAULT '' NOT NULL,
	"anchor_seq" integer DEFAULT 1 NOT NULL,
	"anchor_hash" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"key_id" text DEFAULT '' NOT NULL,
	"session_id" text NOT NULL,
	"seq" integer NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"request_id" text NOT NULL,
	"team_id" text,
	"trace_id" text,
	"span_id" text,
	"gen_ai.operation.name" text,
	"gen_ai.provider.name" text,
	"gen_ai.request.model" text,
	"gen_ai.response.model" text,
	"gen_ai.usage.input_tokens" integer,
	"gen_ai.usage.output_tokens" integer,
	"gen_ai.tool.name" text,
	"gen_ai.prompt.name" text,
	"mcp.method.name" text,
	"mcp.session.id" text,
	"mcp.resource.uri" text,
	"mcp_server" text,
	"stream" boolean,
	"step" text,
	"decision" text,
	"rule" text,
	"reason" text,
	"status" integer,
	"error_code" text,
	"latency_ms" integer,
	"cost_micros" bigint,
	"findings" jsonb,
	"payload" jsonb,
	"payload_id" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_payloads" (
	"id" text PRIMARY KEY NOT NULL,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "agent_sessions_session_key_uq" ON "agent_sessions" USING btree ("session_id","key_id");--> statement-breakpoint
CREATE INDEX "agent_sessions_last_seen_idx" ON "agent_sessions" USING btree ("last_seen");--> statement-breakpoint
CREATE INDEX "agent_sessions_team_last_seen_idx" ON "agent_sessions" USING btree ("team_id","last_seen");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_session_seq_uq" ON "audit_events" USING btree ("session_id","key_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_event_id_uq" ON "audit_events" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "audit_events_key_time_idx" ON "audit_events" USING btree ("key_id","time");--> statement-breakpoint
CREATE INDEX "audit_events_time_idx" ON "audit_events" USING btree ("time");--> statement-breakpoint
CREATE INDEX "audit_events_tool_idx" ON "audit_events" USING btree ("gen_ai.tool.name");--> statement-breakpoint
CREATE INDEX "audit_events_decision_idx" ON "audit_events" USING btree ("decision");