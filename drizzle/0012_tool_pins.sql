CREATE TABLE "tool_pins" (
	"server_id" text NOT NULL,
	"tool_name" text NOT NULL,
	"status" text NOT NULL,
	"approved_hash" text,
	"approved_definition" jsonb,
	"pending_hash" text,
	"pending_definition" jsonb,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_at" timestamp with time zone,
	"approved_at" timestamp with time zone,
	"approved_by" text,
	CONSTRAINT "tool_pins_server_id_tool_name_pk" PRIMARY KEY("server_id","tool_name")
);
