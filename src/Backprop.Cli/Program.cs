using Backprop.Data;
using Backprop.Native;
using TorchSharp;
using static TorchSharp.torch;

// Minimal end-to-end proof of the stack: the full runner is its own issue.
try
{
    TorchNative.EnsureLoaded();
}
catch (TorchNativeException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

Mnist data;
try
{
    data = Mnist.Load(Mnist.DefaultDirectory());
}
catch (DataFileException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

torch.manual_seed(1);
var model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10));
var opt = optim.SGD(model.parameters(), 0.5);
const int bs = 50;
var n = (int)data.XTrain.shape[0];
for (var epoch = 0; epoch < 3; epoch++)
{
    for (var i = 0; i < n; i += bs)
    {
        using var scope = NewDisposeScope();
        var xb = data.XTrain[i..Math.Min(n, i + bs)];
        var yb = data.YTrain[i..Math.Min(n, i + bs)];
        var loss = nn.functional.cross_entropy(model.forward(xb), yb);
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    using (no_grad())
    using (NewDisposeScope())
    {
        var preds = model.forward(data.XValid);
        var loss = nn.functional.cross_entropy(preds, data.YValid).item<float>();
        var acc = (preds.argmax(1) == data.YValid).to_type(ScalarType.Float32).mean().item<float>();
        Console.WriteLine($"epoch {epoch}: valid loss {loss:F4}, valid accuracy {acc:F4}");
    }
}
return 0;
