{{ stg_insights('campaign') }}
