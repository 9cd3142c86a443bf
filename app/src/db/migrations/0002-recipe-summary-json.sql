-- Each recipe's list item, as the JSON text GET /api/v1/recipes sends, kept in the row by a trigger. Formatting ten
-- columns as JSON for every recipe of every page cost Postgres several times what reading the page does; now a
-- recipe is formatted once per write, and a page is 100 stored values. The API sends them on as they are.
--
-- The text is what JSON.stringify writes for the recipe's fields as the detail route returns them: same field order,
-- no spaces, the same string escapes (to_json), null for a missing field, timestamps as Date#toJSON writes them
-- (UTC, milliseconds cut, not rounded). app/test/recipes.test.ts holds a list item and the detail to that, byte for byte.
create function recipe_summary_json(r recipes) returns text
language sql stable
as $$
  select '{"id":' || r.id
    || ',"team_id":' || r.team_id
    || ',"name":' || to_json(r.name)
    || ',"author":' || coalesce(to_json(r.author), 'null')
    || ',"source":' || coalesce(to_json(r.source), 'null')
    || ',"servings":' || r.servings
    || ',"time":' || coalesce(to_json(r.time_minutes), 'null')
    || ',"tags":' || array_to_json(r.tags)
    || ',"created":"' || to_char(r.created at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    || '","modified":"' || to_char(r.modified at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"}'
$$;

create function recipes_set_summary_json() returns trigger
language plpgsql
as $$
begin
  new.summary_json := recipe_summary_json(new);
  return new;
end
$$;

alter table recipes add column summary_json text;
update recipes r set summary_json = recipe_summary_json(r);
alter table recipes alter column summary_json set not null;
-- Every insert and update, whichever columns it sets: `modified` changes with each update the API makes.
create trigger recipes_summary_json before insert or update on recipes
for each row execute function recipes_set_summary_json();
