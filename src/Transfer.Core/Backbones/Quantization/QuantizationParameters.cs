namespace Transfer.Backbones.Quantization;

/// <summary>uint8 asymmetric per-tensor parameters: <c>real = (q − ZeroPoint) · Scale</c>.</summary>
internal readonly record struct QuantizationParameters(float Scale, byte ZeroPoint)
{
    /// <summary>Parameters for a real range; the range is widened to contain 0 so that 0 (padding, Relu) is exact.</summary>
    public static QuantizationParameters FromRange(float low, float high)
    {
        double min = Math.Min(0, low);
        double max = Math.Max(0, high);
        if (max - min < 1e-12)
        {
            return new QuantizationParameters(1f, 0);
        }

        double scale = (max - min) / 255.0;
        double zero = Math.Round(-min / scale);
        return new QuantizationParameters((float)scale, (byte)Math.Clamp(zero, 0, 255));
    }
}
