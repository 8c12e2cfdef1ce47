CREATE TABLE "responses" (
	"id" text PRIMARY KEY NOT NULL,
	"key_id" text DEFAULT '' NOT NULL,
	"session_id" text,
	"previous_response_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"model" text NOT NULL,
	"status" text NOT NULL,
	"instructions" text,
	"input" jsonb NOT NULL,
	"response" jsonb NOT NULL,
	"usage" jsonb,
	"bytes" integer NOT NULL,
	"truncated" boolean DEFAULT false NOT NULL,
	"item_ids" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
CREATE INDEX "responses_key_created_idx" ON "responses" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE INDEX "responses_item_ids_idx" ON "responses" USING gin ("item_ids");