using Backprop.Data;
using Backprop.Native;
using Backprop.Scratch;
using Backprop.Training;
using TorchSharp;

// A minimal runner over the library; the full runner (options, checkpoints, plots) is issue 5.
const string Usage = "usage: backprop train | backprop gradcheck [--json FILE] | backprop data download";
try
{
    TorchNative.EnsureLoaded();
    return args switch
    {
        [] or ["train"] => Train(),
        ["gradcheck"] => RunGradCheck(null),
        ["gradcheck", "--json", var json] => RunGradCheck(json),
        ["data", "download"] => await Download(),
        _ => Fail(Usage, 2),
    };
}
catch (Exception e) when (e is TorchNativeException or DataFileException or DeviceChoiceException or DownloadException)
{
    return Fail($"error: {e.Message}", 1);
}

static int Fail(string message, int code)
{
    Console.Error.WriteLine(message);
    return code;
}

static int RunGradCheck(string? json)
{
    using var mnist = Mnist.Load(Mnist.DefaultDirectory());
    var rows = GradCheck.Run(mnist);
    Console.WriteLine($"{"component",-28} {"tensor",-8} {"shape",-14} {"reference",-18} {"max |manual - ref|",18} {"tolerance",10}  result");
    foreach (var r in rows)
        Console.WriteLine($"{r.Component,-28} {r.Tensor,-8} {"(" + string.Join(", ", r.Shape) + ")",-14} {r.Reference,-18} {r.MaxAbsDiff,18:E2} {r.Tolerance,10:E2}  {(r.Pass ? "pass" : "FAIL")}");
    if (json is not null) GradCheckJson.Write(json, rows);
    var failed = rows.Count(r => !r.Pass);
    Console.WriteLine(failed == 0 ? $"all {rows.Count} gradients match" : $"{failed} of {rows.Count} gradients do not match");
    return failed == 0 ? 0 : 1;
}

static async Task<int> Download()
{
    var progress = new Progress<DownloadProgress>(p => Console.Error.Write($"\r{p.BytesDone / 1e6,6:F1} of {p.TotalBytes / 1e6:F1} MB"));
    var result = await MnistDownload.DownloadAsync(Mnist.DefaultDirectory(), progress);
    Console.WriteLine(result.Downloaded ? $"\ndownloaded {result.Path} ({result.Size:N0} bytes, SHA-256 {result.Sha256})" : $"{result.Path} is already there and checks out");
    return 0;
}

static int Train()
{
    torch.manual_seed(1);
    using var mnist = Mnist.Load(Mnist.DefaultDirectory());
    var device = DeviceChoice.Resolve("auto");
    var (model, opt) = Models.GetModel(lr: 0.5, nh: 50, device: device);
    using var disposeModel = model;
    using var disposeOpt = opt;
    using var dls = DataLoaders.GetDls(new Dataset(mnist.XTrain, mnist.YTrain), new Dataset(mnist.XValid, mnist.YValid), 50, device);
    Console.WriteLine($"784-50-10, cross-entropy, SGD lr 0.5, bs 50, seed 1, on {device.type}; data: {mnist.Source}");
    Console.WriteLine("epoch  train_loss  valid_loss  valid_acc  seconds");
    var options = new FitOptions
    {
        OnEpoch = r =>
        {
            Console.WriteLine($"{r.Epoch,5}  {r.TrainLoss,10:F4}  {r.ValidLoss,10:F4}  {r.ValidAccuracy,9:F4}  {r.Seconds,7:F2}");
            return double.IsFinite(r.TrainLoss);
        },
    };
    var results = Fit.Run(5, model, LossFunc.CrossEntropy, opt, dls.Train, dls.Valid, options);
    if (!double.IsFinite(results[^1].TrainLoss))
        return Fail("error: the training loss is not finite; try a lower learning rate", 1);
    return 0;
}
