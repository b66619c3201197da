-- Actions per account, day, action type and attribution window, from insights_actions
-- (`total` is Meta's value under the ad set's attribution setting).
select
    x.date_day,
    coalesce(a.client_label, a.account_name) as client_label,
    coalesce(a.client_id, a.account_id) as client_id,
    x.account_id,
    x.action_type,
    x.attribution_window,
    count(distinct x.ad_id) as ads,
    sum(x.action_count) as action_count,
    sum(x.action_value) as action_value
from {{ ref('stg_insights_actions') }} as x
left join {{ ref('stg_ad_accounts') }} as a on a.account_id = x.account_id
group by 1, 2, 3, 4, 5, 6
