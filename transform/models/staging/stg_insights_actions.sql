select
    account_id,
    campaign_id,
    adset_id,
    ad_id,
    date_start as date_day,
    action_type,
    attribution_window,
    value as action_count,
    conversion_value as action_value,
    {{ utc('_sdc_batched_at') }} as loaded_at
from {{ source('meta_ads', 'insights_actions') }}
