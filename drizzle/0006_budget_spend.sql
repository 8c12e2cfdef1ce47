CREATE TABLE "budget_spend" (
	"scope" text NOT NULL,
	"window_id" text NOT NULL,
	"period" text NOT NULL,
	"spent_micros" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_spend_scope_window_id_pk" PRIMARY KEY("scope","window_id")
);
