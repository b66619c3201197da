{# One staging view per insights level: the same columns, the ids of the level and above. #}
{% macro stg_insights(level) %}
{%- set ids = {
    'account': ['account_id'],
    'campaign': ['account_id', 'campaign_id'],
    'adset': ['account_id', 'campaign_id', 'adset_id'],
    'ad': ['account_id', 'campaign_id', 'adset_id', 'ad_id'],
}[level] -%}
select
    {%- for column in ids %}
    {{ column }},
    {%- endfor %}
    date_start as date_day,
    account_currency as currency,
    impressions,
    reach,
    clicks,
    unique_clicks,
    inline_link_clicks as link_clicks,
    spend,
    conversions,
    video_plays,
    video_p25_watched,
    video_p50_watched,
    video_p75_watched,
    video_p100_watched,
    {{ json_or_null('actions') }} as actions,
    {{ json_or_null('action_values') }} as action_values,
    {{ json_or_null('cost_per_action_type') }} as cost_per_action_type,
    {{ utc('_sdc_batched_at') }} as loaded_at
from {{ source('meta_ads', level ~ '_insights') }}
{% endmacro %}
