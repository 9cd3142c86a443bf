-- The statement GET /api/v1/recipes runs, as the API sends it (app/src/recipes/queries.ts listRecipes: the session
-- check and the page in one, joined by Postgres), for pgbench: :page, :after_id, :rows and :hash are its -D variables.
-- bench/test/list-endpoint-sql.test.ts checks that this file and the API's statement stay the same.
select
      coalesce(string_agg(page.json, ',') filter (where page.n <= :page), '') as items,
      max(page.id) filter (where page.n <= :page) as last_id,
      count(page.id) > :page as more,
      count(*) > 0 as live
    from sessions s
    left join lateral (
      select r.id, r.summary_json as json, row_number() over (order by r.id) as n
      from recipes r
      where r.team_id in (select team_id from team_members where user_id = s.user_id)
        and r.id > :after_id
      order by r.id
      limit :rows
    ) page on true
    where s.token_hash = :hash and s.expires > now();
