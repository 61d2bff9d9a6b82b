// Usage: Transfer.ModelLoadWorker <model.zip> <image>...
// Prints one line per image: file name, tab, predicted label, tab, the scores (invariant culture, comma-separated).
using System.Globalization;
using Microsoft.ML;

if (args.Length < 2)
{
    Console.Error.WriteLine("Usage: Transfer.ModelLoadWorker <model.zip> <image>...");
    return 2;
}

var ml = new MLContext();
var model = ml.Model.Load(args[0], out _);
var engine = ml.Model.CreatePredictionEngine<InMemoryImage, ImagePrediction>(model);
foreach (string path in args.Skip(1))
{
    var prediction = engine.Predict(new InMemoryImage { Image = File.ReadAllBytes(path), Label = string.Empty, ImageFileName = Path.GetFileName(path) });
    Console.WriteLine($"{Path.GetFileName(path)}\t{prediction.PredictedLabel}\t{string.Join(",", prediction.Score.Select(s => s.ToString("R", CultureInfo.InvariantCulture)))}");
}

return 0;

/// <summary>The input of ML.NET's image classification sample's predictor.</summary>
internal sealed class InMemoryImage
{
    public byte[] Image { get; set; } = [];

    public string Label { get; set; } = string.Empty;

    public string ImageFileName { get; set; } = string.Empty;
}

/// <summary>The sample's prediction.</summary>
internal sealed class ImagePrediction
{
    public float[] Score { get; set; } = [];

    public string PredictedLabel { get; set; } = string.Empty;
}
