{{ stg_insights('ad') }}
