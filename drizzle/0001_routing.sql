ALTER TABLE "request_log" ADD COLUMN "attempts" integer;--> statement-breakpoint
ALTER TABLE "request_log" ADD COLUMN "route_reason" text;