ALTER TABLE "audit_events" ADD COLUMN "cache" text;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "cache_similarity" double precision;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "saved_cost_micros" bigint;--> statement-breakpoint
ALTER TABLE "request_log" ADD COLUMN "cache" text;--> statement-breakpoint
ALTER TABLE "request_log" ADD COLUMN "cache_similarity" double precision;--> statement-breakpoint
ALTER TABLE "request_log" ADD COLUMN "saved_cost_micros" bigint;