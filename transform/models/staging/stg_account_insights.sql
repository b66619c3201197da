{{ stg_insights('account') }}
