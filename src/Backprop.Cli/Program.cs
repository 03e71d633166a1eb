using Backprop.Data;
using Backprop.Native;
using Backprop.Training;
using TorchSharp;

// A minimal runner over the library: `backprop train` runs the lesson's final stage. The full runner is issue 5.
if (args is not ["train"] and not [])
{
    Console.Error.WriteLine("usage: backprop train");
    return 2;
}

try
{
    TorchNative.EnsureLoaded();
    torch.manual_seed(1);
    using var mnist = Mnist.Load(Mnist.DefaultDirectory());
    var device = DeviceChoice.Resolve("auto");
    var (model, opt) = Models.GetModel(lr: 0.5, nh: 50, device: device);
    using (model)
    using (opt)
    using (var dls = DataLoaders.GetDls(new Dataset(mnist.XTrain, mnist.YTrain), new Dataset(mnist.XValid, mnist.YValid), 50, device))
    {
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
        {
            Console.Error.WriteLine("error: the training loss is not finite; try a lower learning rate");
            return 1;
        }
    }
    return 0;
}
catch (Exception e) when (e is TorchNativeException or DataFileException or DeviceChoiceException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
