CREATE TABLE "cache_semantic" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"context_hash" text NOT NULL,
	"embedding_model" text NOT NULL,
	"embedding" real[] NOT NULL,
	"dims" integer NOT NULL,
	"entry_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "cache_semantic_group_idx" ON "cache_semantic" USING btree ("scope","context_hash","embedding_model","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "cache_semantic_expires_idx" ON "cache_semantic" USING btree ("expires_at");