CREATE TABLE "mcp_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"key_id" text,
	"route" text NOT NULL,
	"protocol_version" text NOT NULL,
	"client_info" jsonb NOT NULL,
	"capabilities" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "mcp_sessions_last_seen_idx" ON "mcp_sessions" USING btree ("last_seen_at");