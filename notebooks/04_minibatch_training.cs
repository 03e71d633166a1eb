// fast.ai course 2022 part 2, notebook 04_minibatch_training, in C#: cross-entropy from log-softmax, the basic training
// loop, then parameters, nn.ModuleList, nn.Sequential, an Optimizer, Dataset, DataLoader, random sampling, and the
// validation fit. Run from the repository root: dotnet run notebooks/04_minibatch_training.cs
#:project ../src/Backprop.TorchSharp

using System.Diagnostics;
using Backprop.Data;
using Backprop.Display;
using LossFunc = Backprop.Training.LossFunc;
using Models = Backprop.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

var failures = 0;

Section("Setup");
// The course: torch.set_printoptions(precision=2, linewidth=140, sci_mode=False); torch.manual_seed(1).
Backprop.Native.TorchNative.EnsureLoaded(); // the library's Linux loader fix, before TorchSharp starts
manual_seed(1);
set_num_threads(1); // one thread: this small model trains fastest so (docs/PERFORMANCE.md), and runs the same on any machine
using var mnist = Mnist.Load(Mnist.DefaultDirectory());
var (xTrain, yTrain, xValid, yValid) = (mnist.XTrain, mnist.YTrain, mnist.XValid, mnist.YValid);
var (n, m) = (xTrain.shape[0], xTrain.shape[1]);
const int nh = 50;

Section("Initial setup: the model");
// A plain list of layers: the module does not know them, which is the point of the sections to come.
var model0 = new ListModel(m, nh, 10);
var pred = model0.Call(xTrain);
Console.WriteLine($"pred.shape = {Shape(pred)}");

Section("Cross entropy loss");
// Softmax turns scores into probabilities; its log, computed naively, is exp, normalise, log.
static Tensor LogSoftmaxNaive(Tensor x) => (x.exp() / x.exp().sum(-1, keepdim: true)).log();
Show("log_softmax(pred)", LogSoftmaxNaive(pred));
// log(a/b) = log a - log b, and log Σ exp(x) overflows for large x unless the max is taken out first: LogSumExp.
static Tensor LogSumExp(Tensor x)
{
    var mx = x.max(-1).values;
    return mx + (x - mx.unsqueeze(-1)).exp().sum(-1).log();
}
static Tensor LogSoftmax(Tensor x) => x - LogSumExp(x).unsqueeze(-1);
TestClose("logsumexp(pred) vs pred.logsumexp(-1)", LogSumExp(pred), pred.logsumexp(-1), 1e-3);
var smPred = LogSoftmax(pred);
Show("sm_pred", smPred);
// Negative log likelihood: minus the mean log-probability of the right class, picked by integer array indexing.
Show("y_train[:3]", yTrain[..3]);
Show("sm_pred[[0,1,2], y_train[:3]]", smPred[tensor(new long[] { 0, 1, 2 }), yTrain[..3]]);
static Tensor Nll(Tensor input, Tensor target) => -input[arange(target.shape[0]), target].mean();
var loss = Nll(smPred, yTrain);
Show("loss", loss);
TestClose("F.nll_loss(F.log_softmax(pred, -1), y_train) vs nll", F.nll_loss(F.log_softmax(pred, -1), yTrain), loss, 1e-3);
TestClose("F.cross_entropy(pred, y_train) vs nll", F.cross_entropy(pred, yTrain), loss, 1e-3);

Section("Basic training loop");
Func<Tensor, Tensor, Tensor> lossFunc = LossFunc.CrossEntropy;
const int bs = 50;
var xb = xTrain[..bs];
var preds = model0.Call(xb);
Show("preds[0]", preds[0]);
Console.WriteLine($"preds.shape = {Shape(preds)}");
var yb = yTrain[..bs];
Show("yb", yb);
Show("loss_func(preds, yb)", lossFunc(preds, yb));
Show("preds.argmax(dim=1)", preds.argmax(1));
static Tensor Accuracy(Tensor output, Tensor yb) => (output.argmax(1) == yb).to_type(ScalarType.Float32).mean();
static void Report(Tensor loss, Tensor preds, Tensor yb) => Console.WriteLine($"{loss.item<float>():F2}, {Accuracy(preds, yb).item<float>():F2}");
Show("accuracy(preds, yb)", Accuracy(preds, yb));
const double lr = 0.5;
const int epochs = 3;
// In C# each batch's temporaries live in a dispose scope: native memory is freed at the end of the batch, not by the GC.
for (var epoch = 0; epoch < epochs; epoch++)
{
    for (long i = 0; i < n; i += bs)
    {
        using var scope = NewDisposeScope();
        var (xbi, ybi) = (xTrain[TensorIndex.Slice(i, Math.Min(n, i + bs))], yTrain[TensorIndex.Slice(i, Math.Min(n, i + bs))]);
        var predsi = model0.Call(xbi);
        var lossi = lossFunc(predsi, ybi);
        lossi.backward();
        using (no_grad())
        {
            foreach (var l in model0.Layers.OfType<Linear>()) // the layers that have weights
            {
                l.weight.sub_(l.weight.grad! * lr);
                l.bias!.sub_(l.bias.grad! * lr);
                l.weight.grad!.zero_();
                l.bias.grad!.zero_();
            }
        }
        if (i + bs >= n) Report(lossi, predsi, ybi);
    }
}
(xb, yb) = (xTrain[TensorIndex.Slice(n - bs, n)], yTrain[TensorIndex.Slice(n - bs, n)]); // as in Python, xb and yb are left at the last batch

Section("Using parameters and nn.Module");
// Layers assigned to fields and registered (TorchSharp's RegisterComponents does what Python's __setattr__ does).
var mlp = new MLP(m, nh, 10);
Console.WriteLine("named_children: " + string.Join(", ", mlp.named_children().Select(c => $"('{c.name}', {c.module.GetName()})")));
void FitParams(nn.Module<Tensor, Tensor> model)
{
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        for (long i = 0; i < n; i += bs)
        {
            using var scope = NewDisposeScope();
            var (xb, yb) = (xTrain[TensorIndex.Slice(i, Math.Min(n, i + bs))], yTrain[TensorIndex.Slice(i, Math.Min(n, i + bs))]);
            var preds = model.call(xb);
            var loss = lossFunc(preds, yb);
            loss.backward();
            using (no_grad())
            {
                foreach (var p in model.parameters()) p.sub_(p.grad! * lr);
                model.zero_grad();
            }
            if (i + bs >= n) Report(loss, preds, yb);
        }
    }
}
FitParams(mlp);

Section("MyModule: what __setattr__ does");
// A registry of our own: every layer assigned through a property lands in _modules, and Parameters() walks them.
var mdl = new MyRegistry(m, nh, 10);
foreach (var p in mdl.Parameters()) Console.WriteLine(Shape(p));

Section("Registering modules: nn.ModuleList");
nn.Module<Tensor, Tensor>[] layers = [nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10)];
var seqModel = new SequentialModel(layers);
Console.WriteLine(string.Join("\n", seqModel.named_modules().Select(x => $"({x.name}): {x.module.GetName()}")));
FitParams(seqModel);
Show("loss_func(model(xb), yb)", lossFunc(seqModel.call(xb), yb));
Show("accuracy(model(xb), yb)", Accuracy(seqModel.call(xb), yb));

Section("nn.Sequential");
var model = nn.Sequential(nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10));
FitParams(model);
Show("loss_func(model(xb), yb)", lossFunc(model.call(xb), yb));

Section("optim: an Optimizer of our own");
// Step: p -= p.grad * lr under no_grad; ZeroGrad: clear every grad.
model = nn.Sequential(nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10));
var opt = new OurOptimizer(model.parameters(), lr);
void FitOpt(nn.Module<Tensor, Tensor> model, Action step, Action zeroGrad)
{
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        for (long i = 0; i < n; i += bs)
        {
            using var scope = NewDisposeScope();
            var (xb, yb) = (xTrain[TensorIndex.Slice(i, Math.Min(n, i + bs))], yTrain[TensorIndex.Slice(i, Math.Min(n, i + bs))]);
            var preds = model.call(xb);
            var loss = lossFunc(preds, yb);
            loss.backward();
            step();
            zeroGrad();
            if (i + bs >= n) Report(loss, preds, yb);
        }
    }
}
FitOpt(model, opt.Step, opt.ZeroGrad);

Section("optim.SGD and get_model");
var (sgdModel, sgd) = Models.GetModel(lr, nh);
Show("loss_func(model(xb), yb)", lossFunc(sgdModel.call(xb), yb));
FitOpt(sgdModel, () => sgd.step(), sgd.zero_grad);

Section("Dataset and DataLoader");
// A Dataset pairs x and y and indexes both; a DataLoader yields batches of it.
var trainDs = new OurDataset(xTrain, yTrain);
var validDs = new OurDataset(xValid, yValid);
Console.WriteLine($"len(train_ds) = {trainDs.Count}, len(valid_ds) = {validDs.Count}");
var (x5, y5) = trainDs[0..5];
Show("train_ds[0:5] x", x5);
Show("train_ds[0:5] y", y5);
var trainDl = new OurDataLoader(trainDs, bs);
(xb, yb) = trainDl.First();
Console.WriteLine($"xb.shape, yb.shape = {Shape(xb)}, {Shape(yb)}");
(model, var sgd2) = Models.GetModel(lr, nh);
void FitDl(nn.Module<Tensor, Tensor> model, optim.Optimizer opt, IEnumerable<(Tensor, Tensor)> dl)
{
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        Tensor loss = null!, preds = null!, yb = null!;
        using var epochScope = NewDisposeScope();
        foreach (var (xb, y) in dl)
        {
            using var scope = NewDisposeScope();
            preds = model.call(xb);
            loss = lossFunc(preds, y);
            loss.backward();
            opt.step();
            opt.zero_grad();
            (loss, preds, yb) = (loss.MoveToOuterDisposeScope(), preds.MoveToOuterDisposeScope(), y.clone().MoveToOuterDisposeScope()); // a loader may reuse its batch
        }
        Report(loss, preds, yb);
    }
}
FitDl(model, sgd2, trainDl);

Section("Random sampling");
// A Sampler yields the indices, shuffled with torch.randperm (so torch.manual_seed fixes the order); a BatchSampler
// groups them into batches; collate stacks the samples of a batch.
var ss = new OurSampler(trainDs.Count, shuffle: true);
Console.WriteLine("first 5 shuffled indices: " + string.Join(", ", ss.Take(5)));
var batchs = new OurBatchSampler(ss, 4);
Console.WriteLine("first 3 batches of 4: " + string.Join(" ", batchs.Take(3).Select(b => "[" + string.Join(", ", b) + "]")));
var trainSamp = new OurBatchSampler(new OurSampler(trainDs.Count, shuffle: true), bs);
var validSamp = new OurBatchSampler(new OurSampler(validDs.Count, shuffle: false), bs);
var shuffledDl = new SamplerDataLoader(trainDs, trainSamp);
var validDl0 = new SamplerDataLoader(validDs, validSamp);
(xb, yb) = validDl0.First();
Show("first validation batch yb", yb);
(model, var sgd3) = Models.GetModel(lr, nh);
FitDl(model, sgd3, shuffledDl);

Section("Multiprocessing DataLoader");
// The course prefetches batches in worker processes; the library's DataLoader does it with a background thread,
// giving exactly the batches of the single-threaded loader.
using (var prefetching = new Backprop.Data.DataLoader(new Dataset(xTrain, yTrain), bs, shuffle: true, prefetch: 2))
{
    (model, var sgd4) = Models.GetModel(lr, nh);
    FitDl(model, sgd4, prefetching);
}

Section("Validation");
// fit trains an epoch, then measures the validation loss and accuracy, weighted by batch size; get_dls uses twice the
// batch size for validation, which keeps no activations for backward.
(double Loss, double Acc) Fit(int epochs, nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> lossFunc, optim.Optimizer opt,
    IEnumerable<(Tensor, Tensor)> trainDl, IEnumerable<(Tensor, Tensor)> validDl)
{
    double totLoss = 0, totAcc = 0, count = 0;
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        model.train();
        foreach (var (xb, yb) in trainDl)
        {
            using var scope = NewDisposeScope();
            var loss = lossFunc(model.call(xb), yb);
            loss.backward();
            opt.step();
            opt.zero_grad();
        }
        model.eval();
        using (no_grad())
        {
            (totLoss, totAcc, count) = (0, 0, 0);
            foreach (var (xb, yb) in validDl)
            {
                using var scope = NewDisposeScope();
                var pred = model.call(xb);
                var nb = xb.shape[0];
                count += nb;
                totLoss += lossFunc(pred, yb).item<float>() * nb;
                totAcc += Accuracy(pred, yb).item<float>() * nb;
            }
        }
        Console.WriteLine($"{epoch} {totLoss / count:F4} {totAcc / count:F4}");
    }
    return (totLoss / count, totAcc / count);
}
(IEnumerable<(Tensor, Tensor)> Train, IEnumerable<(Tensor, Tensor)> Valid) GetDls(OurDataset trainDs, OurDataset validDs, int bs) =>
    (new SamplerDataLoader(trainDs, new OurBatchSampler(new OurSampler(trainDs.Count, shuffle: true), bs)),
     new SamplerDataLoader(validDs, new OurBatchSampler(new OurSampler(validDs.Count, shuffle: false), bs * 2)));
var (trainDl5, validDl5) = GetDls(trainDs, validDs, bs);
(model, var opt5) = Models.GetModel(lr, nh);
var clock = Stopwatch.StartNew();
var (validLoss, validAcc) = Fit(5, model, lossFunc, opt5, trainDl5, validDl5);
Console.WriteLine($"fit: {clock.Elapsed.TotalSeconds:F1} s");
Console.WriteLine($"valid loss {validLoss:F4}, valid accuracy {validAcc:F4}");

Section("Summary");
Console.WriteLine(failures == 0 ? "all checks passed" : $"{failures} check(s) FAILED");
return failures == 0 ? 0 : 1;

static string Shape(Tensor t) => $"torch.Size([{string.Join(", ", t.shape)}])";
static void Section(string title) => Console.WriteLine($"\n## {title}");
static void Show(string label, Tensor t) => Console.WriteLine($"{label}:\n{TensorFormat.Str(t)}");

void TestClose(string name, Tensor a, Tensor b, double eps)
{
    var diff = (a - b).abs().max().item<float>();
    var pass = diff < eps;
    if (!pass) failures++;
    Console.WriteLine($"test_close {name}: {(pass ? "pass" : "FAIL")} (max |a - b| = {diff:E2}, eps {eps})");
}

/// <summary>The course's first Model: its layers in a plain list, called in turn.</summary>
sealed class ListModel(long nIn, long nh, long nOut)
{
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Layers { get; } = [nn.Linear(nIn, nh), nn.ReLU(), nn.Linear(nh, nOut)];
    public Tensor Call(Tensor x)
    {
        foreach (var l in Layers) x = l.call(x);
        return x;
    }
}

/// <summary>The course's MLP: layers in fields, registered so that parameters() finds them.</summary>
sealed class MLP : nn.Module<Tensor, Tensor>
{
    private readonly Linear l1;
    private readonly Linear l2;
    private readonly ReLU relu = nn.ReLU();
    public MLP(long nIn, long nh, long nOut) : base(nameof(MLP))
    {
        (l1, l2) = (nn.Linear(nIn, nh), nn.Linear(nh, nOut));
        RegisterComponents();
    }
    public override Tensor forward(Tensor x) => l2.call(relu.call(l1.call(x)));
}

/// <summary>The course's MyModule: assigning a layer records it, as Python's __setattr__ override does.</summary>
sealed class MyRegistry
{
    private readonly Dictionary<string, nn.Module> _modules = [];
    public MyRegistry(long nIn, long nh, long nOut)
    {
        L1 = nn.Linear(nIn, nh);
        L2 = nn.Linear(nh, nOut);
    }
    public Linear L1 { get => (Linear)_modules["l1"]; set => _modules["l1"] = value; }
    public Linear L2 { get => (Linear)_modules["l2"]; set => _modules["l2"] = value; }
    public IEnumerable<Parameter> Parameters() => _modules.Values.SelectMany(l => l.parameters());
}

/// <summary>The course's SequentialModel: layers in an nn.ModuleList, so they are registered.</summary>
sealed class SequentialModel : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> layers;
    public SequentialModel(IEnumerable<nn.Module<Tensor, Tensor>> ls) : base(nameof(SequentialModel))
    {
        layers = nn.ModuleList([.. ls]);
        RegisterComponents();
    }
    public override Tensor forward(Tensor x)
    {
        foreach (var l in layers) x = l.call(x);
        return x;
    }
}

/// <summary>The course's Optimizer.</summary>
sealed class OurOptimizer(IEnumerable<Parameter> ps, double lr = 0.5)
{
    private readonly List<Parameter> _params = [.. ps];
    public void Step()
    {
        using var _ = no_grad();
        foreach (var p in _params) p.sub_(p.grad! * lr);
    }
    public void ZeroGrad()
    {
        foreach (var p in _params) p.grad?.zero_();
    }
}

/// <summary>The course's Dataset: x and y, indexed together.</summary>
sealed class OurDataset(Tensor x, Tensor y)
{
    public long Count => x.shape[0];
    public (Tensor X, Tensor Y) this[Range r] => (x[r], y[r]);
    public (Tensor X, Tensor Y) this[Tensor idx] => (x.index_select(0, idx), y.index_select(0, idx));
}

/// <summary>The course's first DataLoader: consecutive slices of bs.</summary>
sealed class OurDataLoader(OurDataset ds, int bs) : IEnumerable<(Tensor, Tensor)>
{
    public IEnumerator<(Tensor, Tensor)> GetEnumerator()
    {
        for (var i = 0; i < ds.Count; i += bs) yield return ds[i..(int)Math.Min(ds.Count, i + bs)];
    }
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The course's Sampler: indices in order, or a fresh torch.randperm each time it is iterated.</summary>
sealed class OurSampler(long n, bool shuffle) : IEnumerable<long>
{
    public IEnumerator<long> GetEnumerator()
    {
        if (!shuffle)
        {
            for (long i = 0; i < n; i++) yield return i;
            yield break;
        }
        using var perm = randperm(n);
        foreach (var i in perm.data<long>().ToArray()) yield return i;
    }
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The course's BatchSampler: the sampler's indices in chunks of bs (fastcore's chunked).</summary>
sealed class OurBatchSampler(OurSampler sampler, int bs, bool dropLast = false) : IEnumerable<long[]>
{
    public IEnumerator<long[]> GetEnumerator() =>
        sampler.Chunk(bs).Where(b => !dropLast || b.Length == bs).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The course's DataLoader over a batch sampler; collate gathers the batch with one index_select per tensor.</summary>
sealed class SamplerDataLoader(OurDataset ds, OurBatchSampler batchs) : IEnumerable<(Tensor, Tensor)>
{
    public IEnumerator<(Tensor, Tensor)> GetEnumerator()
    {
        foreach (var b in batchs)
        {
            using var idx = tensor(b);
            yield return ds[idx]; // collate: stack the samples, as one gather
        }
    }
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
