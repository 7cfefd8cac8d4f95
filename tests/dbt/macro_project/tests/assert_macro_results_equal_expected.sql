-- Every macro output equals the expected seed, case by case (a missing case also fails).
{% set text_columns = ['email', 'second_tag', 'dotted_key', 'object_city'] %}

select coalesce(r.case_id, e.case_id) as case_id
from {{ ref('macro_results') }} as r
full outer join {{ ref('json_expected') }} as e
    on r.case_id = e.case_id
where r.case_id is null
   or e.case_id is null
{% for column in text_columns %}
   or {{ differs('r.' ~ column, 'e.' ~ column) }}
{% endfor %}
   or {{ differs('r.value', 'e.value') }}
   or {{ differs("case when r.flag then 'true' when not r.flag then 'false' end", 'e.flag') }}
   or {{ differs('r.iso_utc', 'e.iso_utc') }}
   or {{ differs('r.epoch_utc', 'e.epoch_utc') }}
