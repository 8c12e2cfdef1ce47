CREATE TABLE "audit_checkpoint_leaves" (
	"checkpoint_id" bigint NOT NULL,
	"key_id" text NOT NULL,
	"session_id" text NOT NULL,
	"last_seq" integer NOT NULL,
	"last_hash" text NOT NULL,
	"anchor_seq" integer NOT NULL,
	"anchor_hash" text NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "audit_checkpoint_leaves_checkpoint_id_key_id_session_id_pk" PRIMARY KEY("checkpoint_id","key_id","session_id")
);
--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "change_xid" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD COLUMN "watermark" bigint;--> statement-breakpoint
CREATE INDEX "audit_checkpoint_leaves_session_idx" ON "audit_checkpoint_leaves" USING btree ("key_id","session_id","checkpoint_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "agent_sessions_change_xid_idx" ON "agent_sessions" USING btree ("change_xid");--> statement-breakpoint
-- Hand-written (drizzle-kit does not model triggers): stamp each session row with the transaction that changed what a
-- checkpoint leaf records, so a checkpoint reads only the sessions changed since the previous one's snapshot.
CREATE FUNCTION "agent_sessions_stamp_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.change_xid := pg_current_xact_id()::text::bigint;
	RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "agent_sessions_change_on_insert" BEFORE INSERT ON "agent_sessions"
	FOR EACH ROW EXECUTE FUNCTION "agent_sessions_stamp_change"();--> statement-breakpoint
CREATE TRIGGER "agent_sessions_change_on_update" BEFORE UPDATE ON "agent_sessions"
	FOR EACH ROW WHEN (
		OLD.last_seq IS DISTINCT FROM NEW.last_seq OR OLD.last_hash IS DISTINCT FROM NEW.last_hash
		OR OLD.anchor_seq IS DISTINCT FROM NEW.anchor_seq OR OLD.anchor_hash IS DISTINCT FROM NEW.anchor_hash
		OR OLD.first_seen IS DISTINCT FROM NEW.first_seen OR OLD.last_seen IS DISTINCT FROM NEW.last_seen
		OR OLD.key_id IS DISTINCT FROM NEW.key_id OR OLD.session_id IS DISTINCT FROM NEW.session_id
	)
	EXECUTE FUNCTION "agent_sessions_stamp_change"();
