-- Drafts of personal links (issue 22, point 9): a request made from "Request a partnership" (or an
-- invitation's draft) is a draft until it is shared — sent by email, or closed with Done — and a
-- draft never shared stops working a day after it was made. A provider may label a request.
-- Every request made before this was treated as live: it counts as shared when made.
ALTER TABLE relationship_requests ADD COLUMN shared_at TIMESTAMP;
ALTER TABLE relationship_requests ADD COLUMN label TEXT;
UPDATE relationship_requests SET shared_at = created_at;
