CREATE TABLE "audit_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"root" text NOT NULL,
	"sessions" integer NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"key_id" text NOT NULL,
	"public_key" text NOT NULL,
	"signature" text NOT NULL,
	"leaves" jsonb
);
--> statement-breakpoint
CREATE UNIQUE INDEX "audit_checkpoints_hash_uq" ON "audit_checkpoints" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "audit_checkpoints_time_idx" ON "audit_checkpoints" USING btree ("time");