CREATE TABLE "request_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"request_id" text NOT NULL,
	"session_id" text,
	"key_id" text,
	"endpoint" text NOT NULL,
	"model_requested" text,
	"model_served" text,
	"provider" text,
	"stream" boolean DEFAULT false NOT NULL,
	"status" integer NOT NULL,
	"error_code" text,
	"input_tokens" integer,
	"output_tokens" integer,
	"latency_ms" integer NOT NULL,
	"cost_micros" bigint
);
--> statement-breakpoint
CREATE INDEX "request_log_time_idx" ON "request_log" USING btree ("time");--> statement-breakpoint
CREATE INDEX "request_log_key_time_idx" ON "request_log" USING btree ("key_id","time");