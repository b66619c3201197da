{# target-postgres stores timestamps as `timestamp without time zone` holding UTC (it has no
   setting for timestamptz): this reads one as the instant it is. #}
{% macro utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{# Meta hides DELETED and ARCHIVED objects; the tap mirrors them with their status. An object
   is deleted when it, or a parent (effective_status), was deleted. #}
{% macro is_status(status) -%}
    coalesce(status = '{{ status }}' or effective_status = '{{ status }}', false)
{%- endmacro %}

{# A ratio rounded to `digits` decimals, null when the denominator is zero or null. #}
{% macro ratio(numerator, denominator, digits=4) -%}
    round(({{ numerator }})::numeric / nullif({{ denominator }}, 0), {{ digits }})
{%- endmacro %}

{# target-postgres writes a missing list or object as JSON `null` into its jsonb column (not SQL
   NULL): this gives SQL NULL instead, so `is null` and jsonb_array_elements() behave. #}
{% macro json_or_null(column) -%}
    nullif({{ column }}, 'null'::jsonb)
{%- endmacro %}
