namespace Transfer.Heads;

/// <summary>The ML.NET multiclass trainers a head can use.</summary>
public enum MlNetTrainerKind
{
    /// <summary>Maximum entropy (multinomial logistic regression) with L-BFGS: <c>LbfgsMaximumEntropy</c>. The default.</summary>
    LbfgsMaximumEntropy,

    /// <summary>Maximum entropy with stochastic dual coordinate ascent: <c>SdcaMaximumEntropy</c> (features standardised first).</summary>
    SdcaMaximumEntropy,

    /// <summary>Gradient-boosted trees: <c>LightGbm</c>.</summary>
    LightGbm,
}
