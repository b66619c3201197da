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
