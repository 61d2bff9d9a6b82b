namespace Transfer.Backbones.Quantization;

/// <summary>What <see cref="Backbone.QuantizeAsync"/> does when the int8 features fall below the accuracy thresholds.</summary>
public enum AccuracyGuardAction
{
    /// <summary>Logs a warning and lists it in <see cref="QuantizationReport.Warnings"/>; the int8 backbone is returned.</summary>
    Warn,

    /// <summary>Throws a <see cref="QuantizationAccuracyException"/> carrying the report.</summary>
    Refuse,
}
