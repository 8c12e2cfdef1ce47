CREATE TABLE "dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"time" timestamp with time zone DEFAULT now() NOT NULL,
	"writer" text NOT NULL,
	"reason" text NOT NULL,
	"item" text NOT NULL,
	"bytes" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "dead_letters_time_idx" ON "dead_letters" USING btree ("time");