namespace Transfer.Backbones.Quantization;

/// <summary>Thrown when the int8 backbone misses the accuracy guard's thresholds and <see cref="QuantizationOptions.GuardAction"/> is <see cref="AccuracyGuardAction.Refuse"/>.</summary>
public sealed class QuantizationAccuracyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public QuantizationAccuracyException()
        : this("The int8 backbone missed the accuracy guard.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public QuantizationAccuracyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public QuantizationAccuracyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a report.</summary>
    /// <param name="message">The message.</param>
    /// <param name="report">The quantization report with the guard's figures.</param>
    public QuantizationAccuracyException(string message, QuantizationReport report)
        : base(message) => Report = report;

    /// <summary>Gets the report with the guard's figures, or <see langword="null"/>.</summary>
    public QuantizationReport? Report { get; }
}
