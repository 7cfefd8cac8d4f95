with cases as (

    select
        case_id,
        {{ klaviyo_warehouse.parse_json('doc') }} as doc,
        iso,
        epoch
    from {{ ref('json_cases') }}

)

select
    case_id,
    {{ klaviyo_warehouse.json_extract_string('doc', ['email']) }} as email,
    {{ klaviyo_warehouse.json_extract_number('doc', ['event_properties', '$value']) }} as value,
    {{ klaviyo_warehouse.json_extract_boolean('doc', ['flag']) }} as flag,
    {{ klaviyo_warehouse.json_extract_array_element('doc', ['tags'], 1) }} as second_tag,
    {{ klaviyo_warehouse.json_extract_string('doc', ['location', 'a.b']) }} as dotted_key,
    {{ klaviyo_warehouse.json_extract_string(
        klaviyo_warehouse.json_extract_object('doc', ['location']), ['city']) }} as object_city,
    {{ klaviyo_warehouse.iso8601_to_utc_timestamp('iso') }} as iso_utc,
    {{ klaviyo_warehouse.epoch_to_timestamp('epoch') }} as epoch_utc
from cases
