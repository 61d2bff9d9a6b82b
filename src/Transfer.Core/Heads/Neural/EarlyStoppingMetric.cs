namespace Transfer.Heads.Neural;

/// <summary>The validation metric that early stopping watches.</summary>
public enum EarlyStoppingMetric
{
    /// <summary>Validation cross-entropy; lower is better.</summary>
    ValidationLoss,

    /// <summary>Validation accuracy; higher is better.</summary>
    ValidationAccuracy,
}
