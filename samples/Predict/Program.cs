// Predict: load a Transfer model zip and print the top classes of each image, with probabilities.
//   dotnet run --project samples/Predict -- <model.zip> <image> [<image>…] [--top 3]
// An unreadable image is reported on stderr and the others are still predicted; the exit code is then 1.
using System.Globalization;
using Transfer.Images;
using Transfer.Models;

const string Usage = "Usage: Predict <model.zip> <image> [<image>…] [--top 3]";

// 1. Arguments: the model, then the images (a --top N anywhere).
var paths = new List<string>();
int top = 3;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "-h" or "--help")
    {
        Console.WriteLine(Usage);
        return 0;
    }

    if (args[i] == "--top")
    {
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out top) || top < 1)
        {
            Console.Error.WriteLine($"error: Option --top must be a whole number of at least 1, was \"{(i + 1 < args.Length ? args[i + 1] : "")}\". {Usage}");
            return 2;
        }

        i++;
        continue;
    }

    paths.Add(args[i]);
}

if (paths.Count < 2)
{
    Console.Error.WriteLine($"error: Pass a model zip and at least one image. {Usage}");
    return 2;
}

// 2. Load the model: a clear one-line error for a missing or damaged file.
TransferModel model;
try
{
    model = TransferModel.Load(paths[0]);
}
catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

using var _ = model;
using var predictor = model.CreatePredictor();
top = Math.Min(top, model.Classes.Count);

// 3. Predict in batches (several images per ONNX Runtime run); a batch with a bad image is retried one by one,
//    so the bad one is reported and the others still get their prediction.
int failed = 0;
var images = paths.Skip(1).ToList();
const int BatchSize = 8;
for (int start = 0; start < images.Count; start += BatchSize)
{
    var batch = images.GetRange(start, Math.Min(BatchSize, images.Count - start));
    IReadOnlyList<Prediction?> predictions;
    try
    {
        predictions = predictor.PredictBatch(batch, top);
    }
    catch (InvalidImageException)
    {
        predictions = batch.Select(path =>
        {
            try
            {
                return predictor.Predict(path, top);
            }
            catch (InvalidImageException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                failed++;
                return null;
            }
        }).ToList();
    }

    // 4. Print the top classes of each image, best first.
    for (int j = 0; j < batch.Count; j++)
    {
        if (predictions[j] is not { } prediction)
        {
            continue;
        }

        Console.WriteLine(batch[j]);
        for (int k = 0; k < prediction.Top.Count; k++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {k + 1}. {prediction.Top[k].Label,-24} {prediction.Top[k].Score * 100,6:F2} %"));
        }
    }
}

if (failed > 0)
{
    Console.Error.WriteLine($"{failed} of {images.Count} images could not be predicted.");
}

return failed > 0 ? 1 : 0;
