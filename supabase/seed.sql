-- Reviewers' data for a review environment's database branch (docs/runbooks/review-environments.md).
-- Idempotent: loaded on every `up` of a pr-<N> stack, it converges on these rows and never
-- duplicates them. A branch copies the parent's schema, never its data: this is all it holds.
-- Demo rows are the catalogue only (no users: reviewers sign up), their slugs start with demo-.
insert into public.modules (id, slug, title, description, price_cents, is_published)
values
  ('d0000000-0000-4000-8000-000000000001', 'demo-getting-started', 'Getting started',
   'A free, published module every reviewer sees.', 0, true),
  ('d0000000-0000-4000-8000-000000000002', 'demo-premium-course', 'Premium course',
   'A paid, published module.', 1999, true),
  ('d0000000-0000-4000-8000-000000000003', 'demo-draft', 'Draft module',
   'Unpublished: only the service role reads it.', 0, false)
on conflict (id) do update
  set slug = excluded.slug,
      title = excluded.title,
      description = excluded.description,
      price_cents = excluded.price_cents,
      is_published = excluded.is_published;
