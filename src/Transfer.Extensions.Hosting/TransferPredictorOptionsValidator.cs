using Microsoft.Extensions.Options;

namespace Transfer.Hosting;

/// <summary>Checks <see cref="TransferPredictorOptions"/> when the host starts; every problem is listed with its fix.</summary>
internal sealed class TransferPredictorOptionsValidator : IValidateOptions<TransferPredictorOptions>
{
    public ValidateOptionsResult Validate(string? name, TransferPredictorOptions options)
    {
        var problems = new List<string>();
        string section = TransferPredictorOptions.DefaultSectionName;
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            problems.Add($"{section}:ModelPath is empty. Set it to a model zip saved by Transfer (e.g. \"models/photos.zip\"), in appsettings.json, the environment (Transfer__ModelPath) or the command line (--Transfer:ModelPath).");
        }
        else if (!File.Exists(options.ModelPath))
        {
            problems.Add($"{section}:ModelPath \"{options.ModelPath}\" does not exist (full path \"{Path.GetFullPath(options.ModelPath)}\"). Train a model (transfer train <folder> --out model.zip) and point ModelPath at it.");
        }

        if (options.PoolSize < 1)
        {
            problems.Add($"{section}:PoolSize must be at least 1, was {options.PoolSize}. Use the number of predictions to run at once (e.g. the core count).");
        }

        if (options.IntraOpThreads < 0)
        {
            problems.Add($"{section}:IntraOpThreads must be 0 (automatic) or more, was {options.IntraOpThreads}.");
        }

        if (options.ReloadOnChange && options.ReloadPollInterval <= TimeSpan.Zero)
        {
            problems.Add($"{section}:ReloadPollInterval must be positive, was {options.ReloadPollInterval}. Use e.g. \"00:00:02\", or set ReloadOnChange to false.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
