using Microsoft.ML.Data;

namespace ImageClassification.DataModels;

/// <summary>The model's output for one image.</summary>
public class ImagePrediction
{
    [ColumnName("Score")]
    public float[] Score { get; set; } = [];

    [ColumnName("PredictedLabel")]
    public string PredictedLabel { get; set; } = string.Empty;
}
