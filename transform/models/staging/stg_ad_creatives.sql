select
    id as creative_id,
    account_id,
    name as creative_name,
    status,
    title,
    body,
    link_url,
    image_url,
    thumbnail_url,
    call_to_action_type,
    {{ json_or_null('object_story_spec') }} as object_story_spec,
    {{ json_or_null('asset_feed_spec') }} as asset_feed_spec,
    {{ utc('_sdc_batched_at') }} as loaded_at
from {{ source('meta_ads', 'adcreatives') }}
